{{ if "a very long string literal" := }}{{ end }}
