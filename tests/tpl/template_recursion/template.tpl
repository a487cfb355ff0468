{{ define "count" }}{{ if gt (len .) 0 }}{{ index . 0 }}{{ template "count" (slice . 1) }}{{ end }}{{ end }}{{ template "count" .l }}
