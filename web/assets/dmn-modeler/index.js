// The DMN editor, bundled from dmn-js's sources in production mode (`npm run build`).
// dmn-js's own prebuilt "production" bundle embeds Inferno's development build, which warns in
// every analyst's console and renders slower; bundling the sources with NODE_ENV=production
// picks Inferno's production build. The page expects the global the prebuilt bundle had.
import DmnModeler from 'dmn-js/lib/Modeler';

window.DmnJS = DmnModeler;
