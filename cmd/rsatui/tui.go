package main

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/rsatui/rsatui/internal/ui"
)

// runTUI opens the console on a backend until the user quits.
func runTUI(cmd *cobra.Command, b *backend, opt ui.Options) error {
	defer b.close()
	m := ui.New(b.dir, b.ops, b.info, opt)
	p := tea.NewProgram(m, tea.WithContext(cmd.Context()))
	if _, err := p.Run(); err != nil {
		return &exitError{code: exitServer, err: fmt.Errorf("console: %w", err)}
	}
	return nil
}
