package podedit

// front counts, per list, the items an editor has put in front of the
// pod's own, so the next goes after them: the copy init container, then a
// native sidecar, then the app's init containers.
type front map[string]int

// prepend calls insert with the place of the next item in front of the
// list at key.
func (f *front) prepend(key string, insert func(key string, i int) (bool, error)) (bool, error) {
	if *f == nil {
		*f = front{}
	}
	created, err := insert(key, (*f)[key])
	if err == nil {
		(*f)[key]++
	}
	return created, err
}
