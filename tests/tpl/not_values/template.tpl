{{ not 0 }} {{ not "" }} {{ not "a" }} {{ not .l }} {{ not .n }}
