// Package byname compares two ordered lists of named items the way supervisord's reread and
// update compare configurations (diff_to_active): by name, with an equality for items present
// in both. supervise (active groups against new specs) and supervise/conf (two configuration
// files) both diff this way.
package byname

// Diff compares prev (the active list) with next by name: added are the names only in next
// and changed the names in both whose items are not equal(prev, next), both in next's order;
// removed are the names only in prev, in prev's order. Names are taken to be unique within
// each list; with a repeated name the last item of that name is the one compared.
func Diff[T any](prev, next []T, name func(T) string, equal func(prev, next T) bool) (added, changed, removed []string) {
	cur := make(map[string]T, len(prev))
	for _, p := range prev {
		cur[name(p)] = p
	}
	inNext := make(map[string]bool, len(next))
	for _, n := range next {
		k := name(n)
		inNext[k] = true
		old, ok := cur[k]
		switch {
		case !ok:
			added = append(added, k)
		case !equal(old, n):
			changed = append(changed, k)
		}
	}
	for _, p := range prev {
		if k := name(p); !inNext[k] {
			removed = append(removed, k)
		}
	}
	return added, changed, removed
}
