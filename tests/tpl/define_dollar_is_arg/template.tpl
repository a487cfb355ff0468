{{ define "t" }}{{ $.x }}{{ end }}{{ template "t" .inner }}
