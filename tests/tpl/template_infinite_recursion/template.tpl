{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}
