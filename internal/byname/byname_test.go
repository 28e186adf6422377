package byname

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type item struct {
	name string
	v    int
}

func key(i item) string          { return i.name }
func same(a, b item) bool        { return a.v == b.v }
func items(s ...item) []item     { return s }
func it(name string, v int) item { return item{name, v} }

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		what                    string
		prev, next              []item
		added, changed, removed []string
	}{
		{"both empty", nil, nil, nil, nil, nil},
		{"all new", nil, items(it("b", 1), it("a", 1)), []string{"b", "a"}, nil, nil},
		{"all gone", items(it("b", 1), it("a", 1)), nil, nil, nil, []string{"b", "a"}},
		{"same", items(it("a", 1)), items(it("a", 1)), nil, nil, nil},
		{"changed in next's order, removed in prev's",
			items(it("x", 1), it("a", 1), it("b", 1), it("w", 1)),
			items(it("b", 2), it("c", 1), it("a", 2)),
			[]string{"c"}, []string{"b", "a"}, []string{"x", "w"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			a, c, r := Diff(tc.prev, tc.next, key, same)
			assert.Equal(t, tc.added, a, "added")
			assert.Equal(t, tc.changed, c, "changed")
			assert.Equal(t, tc.removed, r, "removed")
		})
	}
}

// equal gets the previous item first.
func TestDiffEqualArgumentOrder(t *testing.T) {
	var got [][2]int
	Diff(items(it("a", 1)), items(it("a", 2)), key, func(p, n item) bool {
		got = append(got, [2]int{p.v, n.v})
		return true
	})
	assert.Equal(t, [][2]int{{1, 2}}, got)
}

func ExampleDiff() {
	type group struct {
		name     string
		priority int
	}
	active := []group{{"web", 999}, {"worker", 999}}
	next := []group{{"web", 100}, {"cron", 999}}
	added, changed, removed := Diff(active, next,
		func(g group) string { return g.name },
		func(a, b group) bool { return a == b })
	fmt.Println(added, changed, removed)
	// Output: [cron] [web] [worker]
}
