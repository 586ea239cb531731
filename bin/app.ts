#!/usr/bin/env node
import { PlatformApp } from '../lib/platform/platform-app';

// The same app a team builds from the package (docs/extending.md): the platform's feature flags,
// the policy gates (off with `-c policies=false`, as the diff guard's synths need only
// templates; their validation cache in node_modules/.cache), the environments of
// `-c configFile=...` or the built-in ones (`-c stacks=loadbearing-dev` for one), and config
// errors printed as their message alone.
PlatformApp.run((app) => app.addEnvironments());
