package f2bconf

import (
	"errors"
	"strings"
)

// FilterKeys are the [Definition] options fail2ban's FilterReader reads.
var FilterKeys = []string{"usedns", "prefregex", "ignoreregex", "failregex", "maxlines", "datepattern", "journalmatch"}

// ActionKeys are the [Definition] options fail2ban's ActionReader reads.
var ActionKeys = []string{"actionstart", "actionstart_on_demand", "actionstop", "actionflush",
	"actionreload", "actioncheck", "actionrepair", "actionrepair_on_unban", "actionban",
	"actionprolong", "actionreban", "actionunban", "norestored"}

// Combine returns the options of a filter or action file the way fail2ban's
// DefinitionInitConfigReader (getOptions, then getCombined) builds them,
// with every <tag> that can be resolved substituted:
//
//   - keys (e.g. [FilterKeys] or [ActionKeys]) are read from [Definition]
//     with %(x)s resolved, jail and args being consulted first;
//     with all, every other [Definition] option is added too;
//   - every option of [Init] is added, unless args sets it, and also as
//     "known/<name>"; args (the name[key=value] arguments) are added over
//     them;
//   - <tag> references are then substituted (SubstituteTags) over that
//     map, a tag not in it being looked up in [Definition] (with jail and
//     args consulted, and "known/x" as the value before the latest
//     override), and tags named in o.Ignore or having conditional
//     variants (key?family=inet6) left alone.
//
// jail holds the jail's options (fail2ban passes them as pOptions) and may
// be nil. A missing [Definition] yields only the [Init] values and args.
func (c *Config) Combine(keys []string, all bool, jail, args map[string]string, o TagOptions) (map[string]string, error) {
	pOpts := make(map[string]string, len(jail)+len(args))
	for k, v := range jail {
		pOpts[strings.ToLower(k)] = v
	}
	for k, v := range args {
		pOpts[strings.ToLower(k)] = v
	}
	opts := make(map[string]string)
	hasDef := c.HasSection("Definition")
	if hasDef {
		for _, k := range keys {
			// as fail2ban's "optname in pOptions": the names as given (a
			// mixed-case argument is still read through the lower-cased
			// vars below)
			_, inJail := jail[k]
			_, inArgs := args[k]
			if inJail || inArgs {
				continue
			}
			v, err := c.get("Definition", k, pOpts)
			if err != nil {
				var nf *NotFound
				if errors.As(err, &nf) {
					continue
				}
				return nil, err
			}
			opts[k] = v
		}
	}
	init := make(map[string]string, len(args))
	for k, v := range args {
		init[k] = v
	}
	if c.HasSection("Init") {
		for _, k := range c.OwnKeys("Init") {
			if k == "__name__" {
				continue
			}
			v, err := c.get("Init", k, nil)
			if err != nil {
				return nil, err
			}
			if !strings.HasPrefix(k, "known/") {
				init["known/"+k] = v
			}
			if _, ok := init[k]; !ok {
				init[k] = v
			}
		}
	}
	if all && hasDef {
		for _, k := range c.Keys("Definition") {
			if _, ok := opts[k]; ok || k == "__name__" {
				continue
			}
			v, err := c.get("Definition", k, nil)
			if err != nil {
				return nil, err
			}
			opts[k] = v
		}
	}
	for k, v := range init {
		opts[k] = v
	}
	ignore := append([]string(nil), o.Ignore...)
	for k := range opts {
		if m := conditionalRE.FindStringSubmatch(k); m != nil {
			ignore = append(ignore, m[1])
		}
	}
	lookup := o.Lookup
	if lookup == nil && hasDef {
		cache := make(map[string]*string)
		lookup = func(tag string) (string, bool) {
			if v, ok := cache[tag]; ok {
				if v == nil {
					return "", false
				}
				return *v, true
			}
			v, err := c.get("Definition", tag, pOpts)
			if err != nil {
				cache[tag] = nil
				return "", false
			}
			cache[tag] = &v
			return v, true
		}
	}
	return SubstituteTags(opts, TagOptions{Ignore: ignore, Conditional: o.Conditional, Lookup: lookup})
}
