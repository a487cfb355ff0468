{{ .a.b.c.d }}
