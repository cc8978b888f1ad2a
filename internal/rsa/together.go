package rsa

import "sync"

// together runs fns at the same time and waits for all of them. Each one's
// requests still wait for a lane.
func together(fns ...func()) {
	switch len(fns) {
	case 0: // a person with no token: nothing to read
		return
	case 1:
		fns[0]()
		return
	}
	var wg sync.WaitGroup
	for _, fn := range fns[1:] {
		wg.Go(fn)
	}
	fns[0]()
	wg.Wait()
}
