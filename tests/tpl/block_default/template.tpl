{{ block "part" . }}default {{ .Name }}{{ end }}
