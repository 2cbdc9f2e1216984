package cli

import (
	"github.com/spf13/cobra"

	"github.com/shopset/shopset/inventory"
)

const defaultInventory = inventory.DefaultPath

func addInventoryFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVarP(path, "inventory", "f", defaultInventory, "path of the inventory (shopsets.yaml)")
}
