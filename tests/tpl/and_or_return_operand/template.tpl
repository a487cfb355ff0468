{{ and 1 "x" }}|{{ and 0 "x" }}|{{ or "" "y" }}|{{ or 0 "" }}|{{ or .a "default" }}|{{ and .l .m }}
