package lint

// lintLayout (grid-layout): every panel lies inside the 24 columns and no
// two panels (rows included) overlap.
func lintLayout(d Dashboard, ps *problems) {
	type cell struct{ x, y int }
	owner := map[cell]string{}
	for _, p := range d.Panels {
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			ps.add("grid-layout", where(d, p), "at x=%d, width %d does not fit the 24 columns", g.X, g.W)
			continue
		}
	cells:
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, taken := owner[cell{x, y}]; taken {
					ps.add("grid-layout", where(d, p), "overlaps panel %q at x=%d, y=%d", other, x, y)
					break cells
				}
				owner[cell{x, y}] = p.Title
			}
		}
	}
}
