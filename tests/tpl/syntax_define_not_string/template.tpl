{{ define foo }}{{ end }}
