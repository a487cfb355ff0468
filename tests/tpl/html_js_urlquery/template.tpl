{{ html "<a href=\"x\">&'</a>" }}|{{ js "it's \"q\" <b>&=\\\n" }}|{{ urlquery "a b&c=d/é" }}|{{ html .n }}|{{ html 1 "x" 2 }}
