{{ define "part" }}override{{ end }}{{ block "part" . }}default{{ end }}
