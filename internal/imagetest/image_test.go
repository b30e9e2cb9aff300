package imagetest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/x509"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

const root = "../.."

// TestImage builds the image as a release would (scripts/build-image.sh:
// the binary built outside with its version stamped, copied onto scratch
// with CA certificates and an unprivileged user), exports it as an OCI
// archive and checks its configuration, its files, and the binary in it.
// It needs buildah (Debian's package builds offline, without a daemon); it is
// skipped without it, except in CI.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the image: not with -short")
	}
	buildah, err := exec.LookPath("buildah")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("buildah is not installed; .ci/run installs Debian's buildah package")
		}
		t.Skip("buildah is not installed (apt-get install buildah): the image is not built")
	}
	version := strings.TrimSpace(read(t, filepath.Join(root, "VERSION")))
	revision := git(t, "rev-parse", "--short", "HEAD")
	branch := git(t, "rev-parse", "--abbrev-ref", "HEAD")

	dir := t.TempDir()
	archive := filepath.Join(dir, "image.tar")
	cmd := exec.Command("scripts/build-image.sh", "-t", "azure_ea_exporter:imagetest", "--oci-archive", archive)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BUILDER=buildah", "BUILDAH_ROOT="+filepath.Join(dir, "storage"), "BUILDAH_RUNROOT="+filepath.Join(dir, "run"),
		"BUILD_USER=imagetest", "REVISION=", "BRANCH=", "VERSION=")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if os.Geteuid() != 0 && os.Getenv("CI") == "" {
			t.Skipf("%s could not build the image as uid %d (rootless buildah needs subordinate ids): %v\n%s", buildah, os.Geteuid(), err, out)
		}
		t.Fatalf("scripts/build-image.sh: %v\n%s", err, out)
	}
	t.Logf("built and exported in %s", time.Since(start).Round(time.Second))

	img := readOCIArchive(t, archive)

	// The configuration.
	c := img.config
	if c.OS != "linux" || c.Architecture == "" {
		t.Errorf("platform %s/%s", c.OS, c.Architecture)
	}
	if c.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (numeric, so that runAsNonRoot can be verified)", c.Config.User)
	}
	if !slices.Equal(c.Config.Entrypoint, []string{"/bin/azure_ea_exporter"}) {
		t.Errorf("entrypoint %q", c.Config.Entrypoint)
	}
	if !slices.Equal(c.Config.Cmd, []string{"--config.file=/etc/azure_ea_exporter/azure_ea_exporter.yml"}) {
		t.Errorf("cmd %q", c.Config.Cmd)
	}
	if _, ok := c.Config.ExposedPorts["10168/tcp"]; !ok || len(c.Config.ExposedPorts) != 1 {
		t.Errorf("exposed ports %v, want 10168/tcp", c.Config.ExposedPorts)
	}
	labels := c.Config.Labels
	for k, want := range map[string]string{
		"org.opencontainers.image.title":    "azure_ea_exporter",
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.source":   "https://github.com/azure-ea-exporter/azure_ea_exporter",
		"org.opencontainers.image.licenses": "Apache-2.0",
	} {
		if labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, labels[k], want)
		}
	}
	if _, err := time.Parse(time.RFC3339, labels["org.opencontainers.image.created"]); err != nil {
		t.Errorf("label org.opencontainers.image.created: %v", err)
	}
	if labels["org.opencontainers.image.description"] == "" {
		t.Error("no org.opencontainers.image.description")
	}

	// The files: the binary, CA certificates and the user, nothing else.
	var files []string
	for name := range img.files {
		files = append(files, name)
	}
	sort.Strings(files)
	want := []string{"bin/azure_ea_exporter", "etc/group", "etc/passwd", "etc/ssl/certs/ca-certificates.crt"}
	if !slices.Equal(files, want) {
		t.Errorf("files %q, want %q", files, want)
	}
	for name, f := range img.files {
		if f.uid != 0 || f.gid != 0 {
			t.Errorf("%s owned by %d:%d, want root (the user cannot change what it runs)", name, f.uid, f.gid)
		}
	}
	if f := img.files["bin/azure_ea_exporter"]; f.mode&0o111 == 0 || f.mode&0o022 != 0 {
		t.Errorf("binary mode %04o", f.mode)
	}
	if n := certificates(t, img.files["etc/ssl/certs/ca-certificates.crt"].data); n < 50 {
		t.Errorf("etc/ssl/certs/ca-certificates.crt holds %d certificates", n)
	}
	if p := string(img.files["etc/passwd"].data); !strings.Contains(p, "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user 65532:\n%s", p)
	}
	if g := string(img.files["etc/group"].data); !strings.Contains(g, "nonroot:x:65532:") {
		t.Errorf("/etc/group has no nonroot group 65532:\n%s", g)
	}

	// The binary: static (scratch has no loader), and stamped like `make build`.
	bin := filepath.Join(dir, "azure_ea_exporter")
	if err := os.WriteFile(bin, img.files["bin/azure_ea_exporter"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	if ef, err := elf.Open(bin); err != nil {
		t.Errorf("binary: %v", err)
	} else {
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary is dynamically linked; scratch has no loader")
			}
		}
		ef.Close()
	}
	v, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("azure_ea_exporter --version: %v\n%s", err, v)
	}
	for _, want := range []string{
		fmt.Sprintf("azure_ea_exporter, version %s (branch: %s, revision: %s)", version, branch, revision),
		"build user:       imagetest",
	} {
		if !strings.Contains(string(v), want) {
			t.Errorf("--version does not say %q:\n%s", want, v)
		}
	}
	if date := field(string(v), "build date:"); len(date) != len("20060102-15:04:05") {
		t.Errorf("build date %q:\n%s", date, v)
	}
}

type file struct {
	data     []byte
	mode     int64
	uid, gid int
}

type image struct {
	config struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Config       struct {
			User         string              `json:"User"`
			Entrypoint   []string            `json:"Entrypoint"`
			Cmd          []string            `json:"Cmd"`
			ExposedPorts map[string]struct{} `json:"ExposedPorts"`
			Labels       map[string]string   `json:"Labels"`
		} `json:"config"`
	}
	files map[string]file // regular files of the layers, by path without the leading /
}

// readOCIArchive reads an OCI image layout in a tar file: the one image of
// its index, its configuration and the regular files of its layers.
func readOCIArchive(t *testing.T, archive string) *image {
	t.Helper()
	blobs := map[string][]byte{}
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", archive, err)
		}
		if h.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			blobs[path.Clean(h.Name)] = b
		}
	}
	blob := func(digest string) []byte {
		algo, hex, _ := strings.Cut(digest, ":")
		b, ok := blobs[path.Join("blobs", algo, hex)]
		if !ok {
			t.Fatalf("the archive has no blob %s", digest)
		}
		return b
	}
	type descriptor struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
	}
	var index struct {
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(blobs["index.json"], &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("index.json: %v, %d manifests", err, len(index.Manifests))
	}
	var manifest struct {
		Config descriptor   `json:"config"`
		Layers []descriptor `json:"layers"`
	}
	if err := json.Unmarshal(blob(index.Manifests[0].Digest), &manifest); err != nil {
		t.Fatal(err)
	}
	img := &image{files: map[string]file{}}
	if err := json.Unmarshal(blob(manifest.Config.Digest), &img.config); err != nil {
		t.Fatal(err)
	}
	for _, l := range manifest.Layers {
		var r io.Reader = bytes.NewReader(blob(l.Digest))
		if strings.HasSuffix(l.MediaType, "+gzip") {
			if r, err = gzip.NewReader(r); err != nil {
				t.Fatal(err)
			}
		}
		lr := tar.NewReader(r)
		for {
			h, err := lr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("layer %s: %v", l.Digest, err)
			}
			name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
			switch h.Typeflag {
			case tar.TypeReg:
				b, err := io.ReadAll(lr)
				if err != nil {
					t.Fatal(err)
				}
				img.files[name] = file{data: b, mode: h.Mode, uid: h.Uid, gid: h.Gid}
			case tar.TypeDir:
			default:
				t.Errorf("layer entry %s of type %c", name, h.Typeflag)
			}
		}
	}
	return img
}

// certificates counts the certificates of a PEM bundle; any that does not
// parse is an error.
func certificates(t *testing.T, b []byte) int {
	t.Helper()
	n := 0
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); block.Type != "CERTIFICATE" || err != nil {
			t.Errorf("CA bundle: a %s block: %v", block.Type, err)
			continue
		}
		n++
	}
	return n
}

func field(s, name string) string {
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), name); ok && k == "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "unknown" // as scripts/build-image.sh and the Makefile say
	}
	return strings.TrimSpace(string(out))
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
