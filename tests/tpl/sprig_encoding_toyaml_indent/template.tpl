spec:
{{ toYaml .m | indent 2 }}
list:{{ toYaml .l | nindent 2 }}