package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
)

// nodeSDKVersion is the AWS SDK for JavaScript v3 release Ferry gives Node.js
// functions; nodeSDKPackages are its clients, all pinned to it.
const nodeSDKVersion = "3.1178.0"

var nodeSDKPackages = []string{"@aws-sdk/client-sqs", "@aws-sdk/client-sns", "@aws-sdk/client-eventbridge", "@aws-sdk/client-lambda"}

// nodeSDKDir is where the SDK is installed: $FERRY_NODE_SDK_DIR, else
// <user cache dir>/ferry/node-sdk/<version> (outside any project).
func nodeSDKDir() (string, error) {
	if d := os.Getenv("FERRY_NODE_SDK_DIR"); d != "" {
		return filepath.Abs(d)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "ferry", "node-sdk", nodeSDKVersion), nil
}

// installedNodeSDK returns the SDK folder when every client is installed.
func installedNodeSDK() string {
	dir, err := nodeSDKDir()
	if err != nil {
		return ""
	}
	for _, p := range nodeSDKPackages {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p, "package.json")); err != nil {
			return ""
		}
	}
	return dir
}

// installNodeSDK installs the pinned clients with npm into nodeSDKDir.
func installNodeSDK(ctx context.Context, out *os.File) (string, error) {
	dir, err := nodeSDKDir()
	if err != nil {
		return "", err
	}
	if installedNodeSDK() == dir {
		return dir, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("installing the AWS SDK for Node.js needs npm on PATH (install Node.js with npm): %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	args := []string{"install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", "--silent"}
	for _, p := range nodeSDKPackages {
		args = append(args, p+"@"+nodeSDKVersion)
	}
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install of the AWS SDK for Node.js into %s failed (offline? run `ferry runtime install node-sdk` when the npm registry is reachable): %w", dir, err)
	}
	return dir, nil
}

func newRuntimeCommand() *cobra.Command {
	rt := &cobra.Command{Use: "runtime", Short: "Manage what Ferry provides to function runtimes"}
	install := &cobra.Command{
		Use:   "install node-sdk",
		Short: "Install the AWS SDK for JavaScript v3 that Node.js functions find without bundling it",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if args[0] != "node-sdk" {
				return fmt.Errorf("unknown runtime component %q (known: node-sdk)", args[0])
			}
			dir, err := installNodeSDK(c.Context(), os.Stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "AWS SDK for JavaScript %s installed in %s\n", nodeSDKVersion, dir)
			return nil
		},
	}
	rt.AddCommand(install)
	return rt
}
