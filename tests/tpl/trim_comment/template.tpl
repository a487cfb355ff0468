a
  {{- /* gone */ -}}
  b
{{/* kept newline after */}}
c
