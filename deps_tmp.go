package supervisordlite

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/hashicorp/go-multierror"
	_ "github.com/shirou/gopsutil/v3/process"
	_ "github.com/stretchr/testify/assert"
	_ "go.uber.org/goleak"
)
