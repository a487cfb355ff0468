{{ range .vals }}{{ if eq . "a" }}A{{ else if eq . "b" }}B{{ else }}other{{ end }} {{ end }}
