{{ if $r := .Params.replicas }}r={{ $r }}{{ else }}none{{ $r }}{{ end }}
