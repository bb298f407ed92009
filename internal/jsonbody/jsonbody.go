// Package jsonbody decodes JSON request bodies strictly — one object, no
// unknown fields, right types, no NUL in any string, within the body limit
// — into classified errors that name the field at fault.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/pushnchat/pushnchat/internal/errs"
	"github.com/pushnchat/pushnchat/internal/inputtext"
)

// Decode reads exactly one JSON object into v. Unknown fields, wrong
// types, trailing data and oversize bodies are refused with a problem that
// names the field; nothing has been changed when it returns an error.
func Decode(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errs.E(errs.Unsupported, "send JSON with Content-Type: application/json")
		}
	}
	return DecodeReader(r.Body, v)
}

// DecodeReader is Decode without the Content-Type check.
func DecodeReader(body io.Reader, v any) error {
	doc, err := io.ReadAll(body)
	if err != nil {
		return BodyError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil && !isSyntax(err) {
			return jsonError(err)
		}
		return errs.E(errs.Invalid, "the body must hold exactly one JSON object")
	}
	return inputtext.CheckJSON(doc)
}

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "the JSON body ends too early")
	case errors.As(err, &syn):
		return errs.E(errs.Invalid, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errs.E(errs.Invalid, "the body must be a JSON object")
		}
		return errs.InvalidFields([]errs.FieldError{{Field: field, Detail: fmt.Sprintf("must be a %s", jsonType(typ.Type.Kind().String()))}})
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errs.InvalidFields([]errs.FieldError{{Field: strings.Trim(f, `"`), Detail: "is not a known field"}})
	}
	return BodyError(err)
}

// BodyError classifies a failure to read the request body.
func BodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the request body is over its limit of %d bytes", mbe.Limit)
	}
	return errs.Wrap(errs.Invalid, err, "could not read the request body")
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "whole number"
	case "float32", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct", "ptr":
		return "JSON object"
	}
	return kind
}
