export function App() {
  return <main><h1>Soma Streams console</h1></main>;
}
