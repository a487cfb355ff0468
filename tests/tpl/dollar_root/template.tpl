{{ range .Params.list }}{{ . }}@{{ $.Name }} {{ end }}{{ with .Params }}{{ $.Namespace }}{{ end }}
