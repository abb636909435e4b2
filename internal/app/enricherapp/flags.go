package enricherapp

import (
	"errors"

	"github.com/salesstream/salesstream/pkg/window"
)

// windowFlag names a field of window.Config as the enricher's flag that
// sets it.
func windowFlag(field string) string {
	switch field {
	case "Size":
		return "--window"
	case "Slide":
		return "--slide"
	case "Start":
		return "--window-offset"
	case "Delay":
		return "--watermark"
	case "Mode":
		return "--output-mode"
	}
	return field
}

// windowError rewrites the errors of window.Config.Validate in the words
// of the enricher's flags, as in "--slide 10m must not exceed --window 5m,
// or events would fall in no window", one line per wrong setting.
func windowError(err error) error {
	if err == nil {
		return nil
	}
	fes := window.FieldErrors(err)
	if len(fes) == 0 {
		return err
	}
	errs := make([]error, len(fes))
	for i, fe := range fes {
		errs[i] = errors.New(fe.Describe(windowFlag))
	}
	return errors.Join(errs...)
}
