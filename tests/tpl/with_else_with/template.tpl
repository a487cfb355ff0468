{{ with .x }}x{{ else with .y }}y={{ . }}{{ else }}none{{ end }}
