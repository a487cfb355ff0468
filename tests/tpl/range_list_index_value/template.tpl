{{ range $i, $v := .Params.list }}{{ $i }}:{{ $v }} {{ end }}
