{{ define "inner" }}
  {{ .missing }}
{{ end }}{{ template "inner" .m }}
