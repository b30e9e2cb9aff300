// Package imagetest builds the container image with scripts/build-image.sh
// (buildah, offline) and inspects what it holds: see image_test.go.
package imagetest
