{{ slice .l 2 1 }}
