import { mount } from 'svelte';
import { registerBuiltinCells } from './cells/index.ts';
import { getData } from './core/data/dataClient.ts';
import App from './ui/App.svelte';
import './ui/theme.css';

// Start DuckDB before anything renders: its worker instantiates (~2 s of wasm) while the UI builds.
getData();
registerBuiltinCells();
mount(App, { target: document.getElementById('app')! });
