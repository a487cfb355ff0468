{{ with .a }}a={{ . }}{{ else }}no a{{ end }} {{ with .b }}b={{ . }}{{ else }}no b{{ end }}
