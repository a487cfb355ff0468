{{ toYaml .m }}---
{{ toYaml (list) }}{{ toYaml "plain" }}{{ toYaml 1 }}{{ toYaml nil }}{{ toYaml (add 1 2) }}{{ toYaml .f }}