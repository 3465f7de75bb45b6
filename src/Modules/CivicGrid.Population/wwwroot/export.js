// Downloads an export: the criteria go in a POST body (ID and phone numbers never enter a URL), the file comes back as a blob.
// Returns null on success, or the problem details' messages for the page to show.
export async function download(url, body) {
    const response = await fetch(url, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!response.ok) {
        try {
            const problem = await response.json();
            const messages = problem.errors ? Object.values(problem.errors).flat() : [problem.detail || problem.title];
            return messages.join(' ');
        } catch {
            return `HTTP ${response.status}`;
        }
    }
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
    const name = match ? decodeURIComponent(match[1]) : 'export.xlsx';
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    return null;
}
