package ini_test

import (
	"fmt"

	"github.com/supervisord-lite/supervisord-lite/internal/ini"
)

func Example() {
	f, err := ini.Parse("supervisord.conf", []byte(`
[program:web]
command = /usr/bin/gunicorn app:wsgi ; a comment
  --workers %(process_num)d
Autostart = false
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := f.Section("program:web")
	v, _ := s.Get("command")
	cmd, err := ini.Expand(v.Raw, map[string]any{"process_num": 2})
	fmt.Printf("%q line %d err=%v\n", cmd, v.Line, err)
	a, _ := s.Get("autostart")
	fmt.Println(a.Raw)
	_, err = ini.Expand("date +%Y", nil)
	fmt.Println(err)
	// Output:
	// "/usr/bin/gunicorn app:wsgi\n--workers 2" line 3 err=<nil>
	// false
	// unsupported format character 'Y' (0x59) at index 7
}
