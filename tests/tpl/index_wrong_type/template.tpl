{{ index 3 0 }}
