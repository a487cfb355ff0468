{{ index .l 3 }}
