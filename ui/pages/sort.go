package pages

import (
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// sortArrow is the mark of a sort order: ▲ ascending, ▼ descending, or ^
// and v where the styles keep to ASCII.
func sortArrow(s *common.Styles, desc bool) string {
	switch {
	case s.ASCIIGlyphs() && desc:
		return "v"
	case s.ASCIIGlyphs():
		return "^"
	case desc:
		return "▼"
	default:
		return "▲"
	}
}

// sortedColumns is cols with the sort column's title carrying the arrow:
// after the title, or before it in a right-aligned column, so that a
// number's title stays flush right over its digits with the arrow or
// without it ("▼MFRS" over "12"). In a table whose sort moves (moves),
// every other title gets a space in the arrow's place, so that a column
// measured from its data is as wide whichever column sorts, and the arrow
// always has room; a fixed column is widened to its title and arrow if need
// be.
func sortedColumns(cols []components.Column, sort int, arrow string, moves bool) []components.Column {
	for i := range cols {
		c := &cols[i]
		switch {
		case i == sort && c.Right:
			c.Title = arrow + c.Title
		case i == sort:
			c.Title += arrow
		case moves && c.Right: // a number's title stays flush right
			c.Title = " " + c.Title
		case moves:
			c.Title += " "
		default:
			continue
		}
		if c.Max == 0 && !c.Flex {
			c.Width = max(c.Width, common.Width(c.Title))
		}
	}
	return cols
}
