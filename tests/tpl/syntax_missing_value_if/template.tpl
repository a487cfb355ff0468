{{ if }}x{{ end }}
