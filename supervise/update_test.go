package supervise

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func progNames(g GroupInfo) []string {
	var out []string
	for _, p := range g.Programs {
		out = append(out, p.Name)
	}
	return out
}

// UpdateGroup touches only what changed: the unchanged program keeps its pid and is not
// spawned again; the changed one is restarted; the new one starts; the gone one is stopped.
func TestUpdateGroupPerProgram(t *testing.T) {
	tests := []struct {
		name   string
		update func(h *harness, g Group) (GroupChanges, error)
	}{
		{"UpdateGroup", func(h *harness, g Group) (GroupChanges, error) { return h.sv.UpdateGroup(bg, g) }},
		{"Update", func(h *harness, g Group) (GroupChanges, error) {
			added, changed, removed, err := h.sv.Update(bg, []Group{g})
			assert.Empty(t, added)
			assert.Equal(t, []string{"g"}, changed)
			assert.Empty(t, removed)
			// the per-program outcome, as UpdateGroup would have reported it
			return GroupChanges{Added: []string{"d"}, Changed: []string{"b"}, Removed: []string{"c"},
				Unchanged: []string{"a"}}, err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			require.NoError(t, h.sv.Add(bg, Group{Name: "g", Priority: 5, Programs: []Program{quiet("a"), quiet("b"), quiet("c")}}))
			h.expect(Starting, Starting, Starting)
			h.clock.Advance(2 * time.Second)
			h.expect(Running, Running, Running)
			before := map[string]int{}
			infos, err := h.sv.Status("g:*")
			require.NoError(t, err)
			for _, i := range infos {
				before[i.Name] = i.Pid
			}

			b := quiet("b")
			b.Args = []string{"-c", "sleep 1"}
			ch, err := tc.update(h, Group{Name: "g", Priority: 5, Programs: []Program{quiet("a"), b, quiet("d")}})
			require.NoError(t, err)
			assert.Equal(t, GroupChanges{Added: []string{"d"}, Changed: []string{"b"}, Removed: []string{"c"},
				Unchanged: []string{"a"}}, ch)
			assert.Equal(t, 5, h.sp.count(), "b again and d: two spawns, a untouched")
			assert.Equal(t, []string{"a", "b", "d"}, progNames(h.sv.Groups()[0]))
			a := h.status("g:a")
			assert.Equal(t, Running, a.State)
			assert.Equal(t, before["a"], a.Pid)
			nb := h.status("g:b")
			assert.Equal(t, Starting, nb.State)
			assert.NotEqual(t, before["b"], nb.Pid)
			bs := kidsNamed(h, "b")
			require.Len(t, bs, 2)
			assert.Equal(t, []string{"/bin/sh", "-c", "sleep 1"}, bs[1].cmd.Args)
			assert.Equal(t, Starting, h.status("g:d").State)
			_, err = h.sv.Status("g:c")
			assert.ErrorIs(t, err, ErrNotFound)
			for _, k := range []*fakeChild{bs[0], kidsNamed(h, "c")[0]} { // old b and c got the stop signal
				sigs := k.sigs()
				require.NotEmpty(t, sigs)
				assert.Equal(t, DefaultStopSignal, sigs[0].sig)
			}
			as := kidsNamed(h, "a")
			require.Len(t, as, 1)
			assert.Empty(t, as[0].sigs(), "a was never signalled")
			h.cancel()
		})
	}
}

// A group whose priority changed is replaced whole; an unknown group is ErrNotFound.
func TestUpdateGroupPriorityAndUnknown(t *testing.T) {
	h := newHarness(t)
	require.NoError(t, h.sv.Add(bg, Group{Name: "g", Priority: 5, Programs: []Program{quiet("a"), quiet("b")}}))
	h.expect(Starting, Starting)
	ch, err := h.sv.UpdateGroup(bg, Group{Name: "g", Priority: 6, Programs: []Program{quiet("a"), quiet("n")}})
	require.NoError(t, err)
	assert.Equal(t, GroupChanges{Added: []string{"n"}, Changed: []string{"a"}, Removed: []string{"b"}}, ch)
	assert.Equal(t, 4, h.sp.count())
	assert.Equal(t, 6, h.sv.Groups()[0].Priority)
	_, err = h.sv.UpdateGroup(bg, Group{Name: "zz", Programs: []Program{quiet("a")}})
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = h.sv.UpdateGroup(bg, Group{Name: "g", Programs: []Program{{Name: "bad:name"}}})
	assert.Error(t, err)
}

// kidsNamed returns the fake children spawned for process name, in spawn order.
func kidsNamed(h *harness, name string) []*fakeChild {
	var out []*fakeChild
	for i := 1; i <= h.sp.count(); i++ {
		k := h.sp.kid(i)
		for _, kv := range k.cmd.Env {
			if kv == "SUPERVISOR_PROCESS_NAME="+name {
				out = append(out, k)
			}
		}
	}
	return out
}

// Diff tells what Update would do and changes nothing: added and changed in the order given,
// removed in the order the groups were added.
func TestDiffChangesNothing(t *testing.T) {
	h := newHarness(t)
	g := func(name string, args ...string) Group {
		p := quiet(name)
		p.Args = args
		return Group{Name: name, Priority: 999, Programs: []Program{p}}
	}
	for _, name := range []string{"keep", "zgone", "chg", "agone"} {
		require.NoError(t, h.sv.Add(bg, g(name)))
	}
	added, changed, removed := h.sv.Diff([]Group{g("keep"), g("new2"), g("chg", "x"), g("new1")})
	assert.Equal(t, []string{"new2", "new1"}, added)
	assert.Equal(t, []string{"chg"}, changed)
	assert.Equal(t, []string{"zgone", "agone"}, removed)
	var names []string
	for _, gi := range h.sv.Groups() {
		names = append(names, gi.Name)
	}
	assert.Equal(t, []string{"keep", "zgone", "chg", "agone"}, names)
	a, c, r := h.sv.Diff([]Group{g("keep"), g("zgone"), g("chg"), g("agone")})
	assert.Empty(t, a)
	assert.Empty(t, c)
	assert.Empty(t, r)
}
