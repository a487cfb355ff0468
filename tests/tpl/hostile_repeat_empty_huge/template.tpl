{{ repeat 9223372036854775807 "" | len }}|{{ repeat 0 "abc" }}|{{ repeat 3 "ab" }}
