{{ if eq .count 3 }}three{{ end }}
