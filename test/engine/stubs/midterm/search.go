package midterm

// Plain-text search over the screen, for the Dagger CLI built by wva's test/engine/build-engine.sh:
// the midterm version that CLI pins is refused by the Go module proxy on this machine, and the
// served v0.2.4 lacks search. Matches are reported; they are not highlighted.

import "strings"

// SearchMatch is one occurrence of the query on the screen.
type SearchMatch struct {
	Row, Col int
}

// Search finds every occurrence of query and returns how many there are.
func (v *Terminal) Search(query string) int {
	v.SearchMatches = nil
	v.searchCurrent = -1
	if query == "" {
		return 0
	}
	for row, line := range v.Content {
		text := string(line)
		for from := 0; ; {
			i := strings.Index(text[from:], query)
			if i < 0 {
				break
			}
			v.SearchMatches = append(v.SearchMatches, SearchMatch{Row: row, Col: len([]rune(text[:from+i]))})
			from += i + len(query)
		}
	}
	return len(v.SearchMatches)
}

// SearchClear forgets the last search.
func (v *Terminal) SearchClear() {
	v.SearchMatches = nil
	v.searchCurrent = -1
}

// SearchSetCurrent marks match i as current (-1: none) and returns its row and column.
func (v *Terminal) SearchSetCurrent(i int) (int, int) {
	if i < 0 || i >= len(v.SearchMatches) {
		v.searchCurrent = -1
		return -1, -1
	}
	v.searchCurrent = i
	m := v.SearchMatches[i]
	return m.Row, m.Col
}

// SearchMatchRows lists the rows with at least one match, in order.
func (v *Terminal) SearchMatchRows() []int {
	var rows []int
	for _, m := range v.SearchMatches {
		if len(rows) == 0 || rows[len(rows)-1] != m.Row {
			rows = append(rows, m.Row)
		}
	}
	return rows
}
