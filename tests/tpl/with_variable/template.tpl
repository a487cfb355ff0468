{{ with $v := .a }}{{ $v }}{{ . }}{{ end }}
