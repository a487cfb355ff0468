{{ printf "%v|%+v|%d|%s|%q" .l .m .n .l .l }}
