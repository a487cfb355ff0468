{{ range .empty }}x{{ else }}empty list{{ end }} {{ range .nil }}x{{ else }}nil{{ end }} {{ range .emptymap }}x{{ else }}empty map{{ end }}
