package manifests_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/shopset/shopset/plugin"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct{ name, args string }

// dockerfileStages reads ../Dockerfile as its stages, each a list of instructions, comments
// and blank lines dropped.
func dockerfileStages(t *testing.T) [][]instruction {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	require.NoError(t, err)
	var stages [][]instruction
	var line string
	for raw := range strings.Lines(string(b)) {
		raw = strings.TrimRight(raw, "\n")
		if trimmed := strings.TrimSpace(raw); line == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if rest, ok := strings.CutSuffix(raw, `\`); ok {
			line += rest
			continue
		}
		line += raw
		name, args, _ := strings.Cut(strings.TrimSpace(line), " ")
		line = ""
		in := instruction{strings.ToUpper(name), strings.Join(strings.Fields(args), " ")}
		if in.name == "FROM" {
			stages = append(stages, nil)
		}
		require.NotEmpty(t, stages, "an instruction before the first FROM: %s", in.name)
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	require.Len(t, stages, 2, "a build stage and the image")
	return stages
}

// debianSuites names Debian's releases by major version, as Debian's and Go's images do.
var debianSuites = map[string]string{"12": "bookworm", "13": "trixie"}

// The base images are pinned to exact releases: the Go image to go.mod's go version, the
// Debian image to a point release of the Debian the Go image is built on.
func TestDockerfileBaseImagesPinned(t *testing.T) {
	stages := dockerfileStages(t)
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	require.NoError(t, err)
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod)
	require.NotNil(t, goVersion, "go.mod has no go line")
	require.Regexp(t, `^\d+\.\d+\.\d+$`, string(goVersion[1]), "go.mod's go line names an exact release")

	build := regexp.MustCompile(`^golang:(\d+\.\d+\.\d+)-([a-z]+) AS build$`).FindStringSubmatch(stages[0][0].args)
	require.NotNil(t, build, "FROM %s: want golang:X.Y.Z-SUITE AS build", stages[0][0].args)
	assert.Equal(t, string(goVersion[1]), build[1], "the Go image is go.mod's go version")

	runtime := regexp.MustCompile(`^debian:(\d+)\.\d+-slim$`).FindStringSubmatch(stages[1][0].args)
	require.NotNil(t, runtime, "FROM %s: want debian:MAJOR.POINT-slim", stages[1][0].args)
	suite, ok := debianSuites[runtime[1]]
	require.True(t, ok, "Debian %s: add its suite to debianSuites (and to e2e/image.sh)", runtime[1])
	assert.Equal(t, build[2], suite, "the Go image is built on the Debian the image runs")
}

// The image's last stage holds what e2e/image.sh applies (it builds the image from these very
// lines) and the layout the install expects of it: the user Argo CD's sidecars and the
// generator run as, plugin.yaml where the sidecar's ConfigMap is mounted, shopctl on PATH
// for plugin.yaml's command, the packages the generator's git needs.
func TestDockerfileImageLayout(t *testing.T) {
	image := dockerfileStages(t)[1]
	got := map[string][]string{}
	for _, in := range image {
		switch in.name {
		case "FROM", "RUN", "COPY", "USER", "ENV", "WORKDIR", "ENTRYPOINT":
		default:
			t.Errorf("the image's stage has %s, which e2e/image.sh does not apply: teach it", in.name)
		}
		got[in.name] = append(got[in.name], in.args)
	}
	require.Len(t, got["RUN"], 1, "e2e/image.sh runs one RUN line")
	for _, kv := range got["ENV"] {
		for _, f := range strings.Fields(kv) {
			assert.Regexp(t, `^[A-Za-z_][A-Za-z0-9_]*=[^"'$]*$`, f, "ENV as KEY=VALUE, as e2e/image.sh reads it")
		}
	}
	assert.Equal(t, []string{"HOME=/tmp"}, got["ENV"], "HOME is writable with a read-only root filesystem")
	assert.Equal(t, []string{"/home/argocd"}, got["WORKDIR"])

	run := got["RUN"][0]
	install := regexp.MustCompile(`apt-get install -y --no-install-recommends ([a-z0-9 .+-]+?) &&`).FindStringSubmatch(run)
	require.NotNil(t, install, "RUN: no apt-get install")
	assert.Subset(t, strings.Fields(install[1]), []string{"ca-certificates", "git", "openssh-client"},
		"the generator fetches with git over HTTPS and SSH")

	var patch appsv1.Deployment
	readYAML(t, filepath.Join("argocd", "argocd-repo-server-patch.yaml"), &patch)
	var generator appsv1.Deployment
	readYAML(t, "generator.yaml", &generator)
	var sidecarUser, generatorUser int64
	var pluginPath string
	for _, c := range patch.Spec.Template.Spec.Containers {
		if c.Name != "shopset-cmp" {
			continue
		}
		require.NotNil(t, c.SecurityContext.RunAsUser)
		sidecarUser = *c.SecurityContext.RunAsUser
		for _, m := range c.VolumeMounts {
			if m.Name == "shopset-cmp-plugin" {
				pluginPath = m.MountPath
			}
		}
	}
	require.NotNil(t, generator.Spec.Template.Spec.SecurityContext.RunAsUser)
	generatorUser = *generator.Spec.Template.Spec.SecurityContext.RunAsUser
	assert.Equal(t, []string{strconv.FormatInt(sidecarUser, 10) + ":" + strconv.FormatInt(sidecarUser, 10)}, got["USER"],
		"the image's user is the sidecar's")
	assert.Equal(t, sidecarUser, generatorUser, "the generator runs as the image's user")
	assert.Contains(t, run, "useradd --uid "+strconv.FormatInt(sidecarUser, 10)+" ", "the user has a name and a home")

	var cfg struct {
		Spec struct {
			Generate struct{ Command []string }
		}
	}
	require.NoError(t, sigsyaml.Unmarshal(plugin.Config, &cfg))
	require.NotEmpty(t, cfg.Spec.Generate.Command)
	binary := "/usr/local/bin/" + cfg.Spec.Generate.Command[0]
	assert.ElementsMatch(t, []string{
		"--from=build /out/shopctl " + binary,
		"plugin/plugin.yaml " + pluginPath,
	}, got["COPY"], "shopctl on PATH as plugin.yaml runs it; plugin.yaml where the sidecar mounts it")
	entrypoint, err := json.Marshal([]string{binary})
	require.NoError(t, err)
	assert.Equal(t, []string{string(entrypoint)}, got["ENTRYPOINT"])
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, sigsyaml.Unmarshal(b, v), path)
}
