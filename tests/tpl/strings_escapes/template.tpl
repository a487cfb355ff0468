{{ "tab\there\n\"q\" \\ \x41\u00e9\101" }}|{{ `raw\n"x"` }}
