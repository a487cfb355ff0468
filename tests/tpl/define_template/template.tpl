{{ define "greet" }}hello {{ . }}{{ end }}{{ template "greet" .Name }}|{{ template "greet" }}|
